package dev.snakepit.spring;

import dev.snakepit.Snakepit;
import java.util.Locale;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Registers one {@link Snakepit} bean per key under {@code snakepit.pools}: the pool {@code main} is the
 * bean {@code snakepitMain} with the qualifier {@code main}, so that it is injected by its type alone when
 * it is the only pool, or with {@code @Qualifier("main")} among several. Each bean is closed with the
 * context, after the beans that depend on it. The bound properties are the bean {@code snakepitProperties}.
 */
final class PoolBeanRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware, BeanFactoryAware {
  static final String PROPERTIES_BEAN = "snakepitProperties";

  private Environment environment;
  private BeanFactory beanFactory;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
    // Bound here, before any bean exists, so that an unknown key fails start-up before a worker starts.
    SnakepitProperties properties = SnakepitProperties.bind(environment);
    registry.registerBeanDefinition(PROPERTIES_BEAN, new RootBeanDefinition(SnakepitProperties.class, () -> properties));
    for (String key : properties.pools().keySet()) {
      RootBeanDefinition pool = new RootBeanDefinition(Snakepit.class,
          () -> beanFactory.getBean(SnakepitPoolFactory.class).start(key));
      pool.addQualifier(new AutowireCandidateQualifier(Qualifier.class, key));
      pool.setDestroyMethodName("close");
      registry.registerBeanDefinition(beanName(key), pool);
    }
  }

  /** {@code snakepit} and the key in camel case: {@code main} is {@code snakepitMain}, {@code image-models} {@code snakepitImageModels}. */
  static String beanName(String key) {
    StringBuilder name = new StringBuilder("snakepit");
    for (String part : key.split("[^A-Za-z0-9]+")) {
      if (!part.isEmpty()) {
        name.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
      }
    }
    return name.toString();
  }
}
